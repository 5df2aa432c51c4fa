"""Use a fine-tuned model: mmpretrain's inference API for mmft configs and
checkpoints, export to a plain mmpretrain classifier, and to ONNX."""
from .inferencer import ImageClassificationInferencer, inference_model
from .model import get_model, init_model, load_checkpoint

__all__ = [
    'ImageClassificationInferencer', 'get_model', 'inference_model',
    'init_model', 'load_checkpoint'
]
