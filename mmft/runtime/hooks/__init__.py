from .channels_last_hook import ChannelsLastHook
from .class_consistency_hook import ClassConsistencyHook
from .finite_loss_hook import FiniteLossHook
from .finite_state_hook import FiniteStateHook
from .progress_bar_hook import ProgressBarHook
from .resume_check_hook import ResumeCheckHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .safe_loading_hook import SafeLoadingHook

__all__ = [
    'ChannelsLastHook', 'ClassConsistencyHook', 'FiniteLossHook',
    'FiniteStateHook', 'ProgressBarHook', 'ResumeCheckHook',
    'SafeCheckpointHook', 'SafeLoadingHook'
]
