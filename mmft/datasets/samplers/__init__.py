from .source_replay_sampler import SourceReplaySampler

__all__ = ['SourceReplaySampler']
