from .relationship import (accumulate_source_probs, direct_relationship,
                           reverse_relationship, validate_relationship)

__all__ = [
    'accumulate_source_probs', 'direct_relationship', 'reverse_relationship',
    'validate_relationship'
]
