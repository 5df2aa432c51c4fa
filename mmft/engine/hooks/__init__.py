from .category_relationship_hook import CategoryRelationshipHook

__all__ = ['CategoryRelationshipHook']
