"""Let mmpretrain's scope find mmft's components.

mmpretrain's ``get_model`` (behind ``ImageClassificationInferencer`` and
``inference_model``) builds every model in mmpretrain's scope, whatever the
config's ``default_scope``. A lookup there climbs to mmengine's registries but
never down to mmft's, so an mmft config failed with ``KeyError:
'EfficientNetLite is not in the mmpretrain::model registry'``, after
``import mmft`` too.

:func:`expose_in_parent` registers each component of an mmft registry node in
its parent (mmpretrain's node of the same kind) as well, under the same name,
when it registers in mmft's node (and at once for those already there). A
name that the parent or an ancestor already has is left to them, so
mmpretrain's and mmengine's components resolve as before in their scopes; in
mmft's scope, mmft's own still comes first. ``import mmft`` calls
:func:`expose_mmft_registries` once (the ``registry-bridge`` row of
:mod:`mmft.patches`): it changes nothing else (no loader, no default scope).
"""
from typing import List, Optional, Sequence, Set, Type, Union

from mmengine.registry import Registry


def _ancestors_have(registry: Registry, name: str) -> bool:
    """Whether ``name`` resolves in ``registry`` or an ancestor."""
    node: Optional[Registry] = registry
    while node is not None:
        if name in node._module_dict:
            return True
        node = node.parent
    return False


def _mirror(child: Registry, names: Sequence[str], module: Type) -> None:
    """Register ``module`` under ``names`` in ``child``'s parent where that
    name is free (or holds what this bridge put there before)."""
    parent = child.parent
    mirrored: Set[str] = child._mmft_mirrored
    # The parent's own components first, so none of them can collide later
    # with a name mirrored here.
    parent.import_from_location()
    for name in names:
        if name in mirrored or not _ancestors_have(parent, name):
            parent.register_module(name=name, module=module, force=True)
            mirrored.add(name)


def expose_in_parent(child: Registry) -> None:
    """Make ``child``'s components, present and future, resolve from its
    parent registry too (see the module docstring).

    Args:
        child (Registry): An mmft node whose parent is mmpretrain's node of
            the same kind. Calling it again does nothing.
    """
    if child.parent is None or hasattr(child, '_mmft_mirrored'):
        return
    child._mmft_mirrored = set()
    for name, module in list(child._module_dict.items()):
        _mirror(child, [name], module)
    register = child._register_module

    def _register_module(module: Type,
                         module_name: Optional[Union[str, List[str]]] = None,
                         force: bool = False) -> None:
        register(module, module_name, force)
        names = module.__name__ if module_name is None else module_name
        _mirror(child, [names] if isinstance(names, str) else names, module)

    child._register_module = _register_module


def expose_mmft_registries() -> None:
    """:func:`expose_in_parent` for every node of :mod:`mmft.registry` (the
    ``registry-bridge`` patch of :mod:`mmft.patches`)."""
    from mmft import patches, registry
    if not patches.applies('registry-bridge'):
        return
    for node in vars(registry).values():
        if isinstance(node, Registry) and node.scope == 'mmft':
            expose_in_parent(node)
    patches.mark_applied('registry-bridge')
