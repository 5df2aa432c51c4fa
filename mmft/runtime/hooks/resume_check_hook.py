"""Say when ``--resume`` continues a checkpoint of another config."""
import ast
from typing import Any, Dict, List, Optional

import torch
from mmengine.hooks import Hook

from mmft.registry import HOOKS

# The settings whose change a resume does not carry out (the optimizer's
# state is restored from the checkpoint) or that make it another run.
COMPARED = ('model.type', 'optim_wrapper.type', 'optim_wrapper.optimizer.type',
            'optim_wrapper.optimizer.lr', 'train_dataloader.dataset.ratio',
            'train_dataloader.dataset.shots',
            'train_dataloader.dataset.subset_file')
_MISSING = object()


def _literal(node: ast.AST) -> Any:
    """A literal, or ``dict(k=v, ...)`` / ``dict({...})`` of literals (as
    ``Config.pretty_text`` writes dicts); nothing is run."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == 'dict' and len(node.args) <= 1 and \
            all(k.arg for k in node.keywords):
        out = dict(_literal(node.args[0])) if node.args else {}
        out.update({k.arg: _literal(k.value) for k in node.keywords})
        return out
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {
            _literal(k): _literal(v)
            for k, v in zip(node.keys, node.values)
        }
    return ast.literal_eval(node)  # constants, -1; ValueError otherwise


def saved_config(text: Any) -> Dict[str, Any]:
    """The top-level assignments of a config saved as text (mmengine writes
    ``cfg.pretty_text`` into every checkpoint's ``meta['cfg']``), read as
    literals: unlike ``Config.fromstring`` this runs no code from the file.

    Args:
        text (Any): ``meta['cfg']``.

    Returns:
        dict: Key to value; a value that is not a literal is left out, and
        a text that does not parse gives ``{}``.
    """
    try:
        tree = ast.parse(text) if isinstance(text, str) else None
    except (SyntaxError, ValueError):
        tree = None
    found = {}
    for stmt in tree.body if tree is not None else ():
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name):
            try:
                found[stmt.targets[0].id] = _literal(stmt.value)
            except (ValueError, TypeError, SyntaxError):
                continue
    return found


def _get(cfg: Any, dotted: str) -> Any:
    for key in dotted.split('.'):
        if not isinstance(cfg, dict) or key not in cfg:
            return _MISSING
        cfg = cfg[key]
    return cfg


def _model_summary(model: Any) -> str:
    """A model config in a few words: its type, head and regularizers."""
    if not isinstance(model, dict):
        return repr(model)
    head = model.get('head')
    parts = [f'model.type={model.get("type")!r}']
    if isinstance(head, dict):
        parts.append(f'head {head.get("type")!r}')
    regularizers = model.get('regularizers')
    if isinstance(regularizers, dict):
        names = ', '.join(
            f'{k}={v.get("type")!r}' if isinstance(v, dict) else k
            for k, v in regularizers.items())
        parts.append(f'regularizers {{{names}}}')
    else:
        parts.append('no regularizers')
    return ', '.join(parts)


def _groups(state: Any) -> Optional[Dict[str, List[dict]]]:
    """The param groups of an optim wrapper's state dict, by optimizer."""
    if not isinstance(state, dict):
        return None
    if 'param_groups' in state:
        return {'': list(state['param_groups'])}
    found = {k: _groups(v) for k, v in state.items()}
    return {k: v[''] for k, v in found.items() if v and '' in v} or None


def _sizes(groups: Dict[str, List[dict]]) -> Dict[str, List[int]]:
    return {
        k: [len(g.get('params', ())) for g in v]
        for k, v in groups.items()
    }


def _max_lr(groups: Dict[str, List[dict]]) -> Optional[float]:
    """The largest base lr of the groups (``initial_lr`` where a scheduler
    set it): the config's lr when lr multipliers are at most 1."""
    lrs = [
        g.get('initial_lr', g.get('lr')) for v in groups.values() for g in v
    ]
    lrs = [lr for lr in lrs if isinstance(lr, (int, float))]
    return max(lrs) if lrs else None


def _show(groups: Dict[str, List[dict]]) -> str:
    counts = {k: len(v) for k, v in groups.items()}
    if list(counts) == ['']:
        return str(counts[''])
    return ', '.join(f'{k}: {v}' for k, v in counts.items())


def _optimizer_mismatch(runner, ours: Dict[str, List[dict]],
                        theirs: Dict[str,
                                     List[dict]], state: Any) -> Optional[str]:
    """How the checkpoint's optimizer state does not fit the run's: other
    parameter groups, or a state tensor (momentum, Adam's moments) of
    another shape than the parameter in its place. None when it fits."""
    if _sizes(ours) != _sizes(theirs):
        return (f'it has {_show(theirs)} parameter groups, this config\'s '
                f'optimizer {_show(ours)}')
    optimizer = getattr(runner.optim_wrapper, 'optimizer', None)
    saved = state.get('state', {}) if isinstance(state, dict) else {}
    if list(ours) != [''] or not hasattr(optimizer, 'param_groups'):
        return None
    names = {id(p): n for n, p in runner.model.named_parameters()}
    ids = [i for g in theirs[''] for i in g.get('params', ())]
    params = [p for g in optimizer.param_groups for p in g['params']]
    for pid, param in zip(ids, params):
        held = [
            t for t in (saved.get(pid) or {}).values()
            if isinstance(t, torch.Tensor) and t.dim() > 0
        ]
        if held and tuple(held[0].shape) != tuple(param.shape):
            name = names.get(id(param),
                             'a parameter').replace('module.', '', 1)
            return (f'a state tensor of shape {tuple(held[0].shape)} sits '
                    f'where this model has {name} of shape '
                    f'{tuple(param.shape)}')
    return None


@HOOKS.register_module()
class ResumeCheckHook(Hook):
    """Check, on ``--resume``, that the checkpoint is a run of this config.

    Resuming restores the checkpoint's optimizer state, its learning rate
    included, so a changed ``lr`` in the config is not what the run
    continues with. After the checkpoint loads (before the optimizer state
    is restored), the settings in :data:`COMPARED` of the config the
    checkpoint was saved with (``meta['cfg']``, read as literals) and the
    base lr of the optimizers are compared with the run's: the differences
    are logged as one warning, with the lr the run continues with and how
    to start from those weights instead. An optimizer state that does not
    fit the run's parameters (other parameter groups, or a momentum of
    another shape: another method's or model's work dir) stops the run
    naming both models and the fix, where PyTorch would say "different
    number of parameter groups" or fail in the first step on a tensor size.
    Nothing is checked when weights are loaded with ``load_from`` alone.
    Runs once a resume.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Compare the resumed checkpoint with the run's config."""
        if not runner.cfg.get('resume') or not isinstance(checkpoint, dict):
            return
        saved = saved_config(checkpoint.get('meta', {}).get('cfg'))
        name = runner.cfg.get('load_from') or 'the checkpoint'
        wrapper = runner.optim_wrapper
        ours = _groups(wrapper.state_dict()) if hasattr(wrapper,
                                                        'state_dict') else None
        theirs = _groups(checkpoint.get('optimizer'))
        mismatch = ours and theirs and _optimizer_mismatch(
            runner, ours, theirs, checkpoint.get('optimizer'))
        if mismatch:
            raise ValueError(
                f'--resume: {name} cannot continue this config\'s run: its '
                f'optimizer state does not fit this model ({mismatch}). It '
                f'was saved with {_model_summary(_get(saved, "model"))}; '
                f'this config has {_model_summary(runner.cfg.model)}: it '
                'is a run of another method or model. Resume a checkpoint of '
                'this config, pass another --work-dir for a new run, or '
                f'start from its weights alone with load_from={name} '
                '(without --resume).')
        config = runner.cfg.to_dict()
        changed = [(k, _get(saved, k), _get(config, k)) for k in COMPARED]
        changed = [c for c in changed if _MISSING not in c and c[1] != c[2]]
        lr_there, lr_here = (_max_lr(g) if g else None for g in (theirs, ours))
        if lr_there is not None and lr_here is not None and \
                abs(lr_there - lr_here) > 1e-12 * max(lr_here, 1e-30):
            if not any(k == 'optim_wrapper.optimizer.lr' for k, *_ in changed):
                changed.append(('the optimizer\'s base lr', lr_there, lr_here))
        if not changed:
            return
        if lr_there is None:  # no optimizer state: nothing is restored
            effect = ('It holds no optimizer state, so the run continues '
                      'with this config\'s optimizer.')
        else:
            effect = ('Resuming restores its optimizer state, the learning '
                      f'rate included: the run continues with base lr '
                      f'{lr_there}, not {lr_here}. To train this config from '
                      'those weights, start a new run in another work dir '
                      f'with load_from={name} (without --resume).')
        runner.logger.warning(
            f'--resume: {name} was saved with other settings: ' +
            '; '.join(f'{k}={old!r} there, {new!r} here'
                      for k, old, new in changed) + '. ' + effect)
