"""Per-class queue and Bi-tuning losses equal TLlib's per-sample loops."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmft.models.utils import (PerClassQueue, categorical_contrastive_loss,
                               contrastive_cross_entropy_loss)


def loop_enqueue(queue, ptr, keys, labels):
    """TLlib: one sample at a time, in batch order."""
    for key, c in zip(keys, labels.tolist()):
        queue[c, ptr[c]] = key
        ptr[c] = (ptr[c] + 1) % queue.shape[1]


def kl_uniform_positives(rows, size):
    """TLlib's KLDivLoss(batchmean) of the uniform positive target."""
    total = 0.
    for row in rows:
        target = torch.zeros_like(row)
        target[:size + 1] = 1 / (size + 1)
        logp = F.log_softmax(row, 0)
        keep = target > 0
        total += (target[keep] * (target[keep].log() - logp[keep])).sum()
    return total / len(rows)


def row_of(first, anchor, queue, c):
    """[own pair, the class's K keys, every other class's keys]."""
    others = torch.cat([queue[o] for o in range(queue.shape[0]) if o != c]
                       or [queue.new_zeros(0, queue.shape[2])])
    return torch.cat([first[None], queue[c] @ anchor, others @ anchor])


CASES = [(5, 4, 4, [0, 1, 2, 3]), (5, 4, 8, [0, 0, 0, 0, 0, 0, 1, 1]),
         (3, 2, 6, [2, 2, 2, 2, 2, 0]), (1, 3, 5, [0] * 5),
         (7, 5, 12, [6, 1, 1, 3, 6, 6, 0, 2, 1, 6, 6, 6])]


@pytest.mark.parametrize('num,size,batch,labels', CASES)
def test_vectorised_matches_the_loops(num, size, batch, labels):
    torch.manual_seed(num * 100 + batch)
    labels = torch.tensor(labels)
    dim_z, dim_h, tau = 6, 9, 0.07
    queue_z = PerClassQueue(num, size, dim_z)
    queue_h = PerClassQueue(num, size, dim_h)
    for q in (queue_z, queue_h):  # start mid-way through the queues
        q.ptr.copy_(torch.randint(0, size, (num, )))
    ref_z, ref_h = queue_z.queue.clone(), queue_h.queue.clone()
    ref_pz, ref_ph = queue_z.ptr.clone(), queue_h.ptr.clone()
    z_q = F.normalize(torch.randn(batch, dim_z), dim=1)
    z_k = F.normalize(torch.randn(batch, dim_z), dim=1)
    h_q = F.normalize(torch.randn(batch, dim_h), dim=1)
    h_k = F.normalize(torch.randn(batch, dim_h), dim=1)
    w = F.normalize(torch.randn(num, dim_h), dim=1)

    # TLlib order: CCL rows against the pre-batch queue, enqueue sample by
    # sample, then CCE rows against the post-batch queue.
    rows_z = [
        row_of(z_q[i] @ z_k[i], z_q[i], ref_z, int(c)) / tau
        for i, c in enumerate(labels)
    ]
    loop_enqueue(ref_z, ref_pz, z_k, labels)
    loop_enqueue(ref_h, ref_ph, h_k, labels)
    rows_h = [
        row_of(h_q[i] @ w[c], w[c], ref_h, int(c)) / tau
        for i, c in enumerate(labels)
    ]

    ccl = categorical_contrastive_loss(z_q, z_k, queue_z.queue, labels, tau)
    queue_z.enqueue(z_k, labels)
    queue_h.enqueue(h_k, labels)
    cce = contrastive_cross_entropy_loss(h_q, w, queue_h.queue, labels, tau)

    torch.testing.assert_close(queue_z.queue, ref_z)
    torch.testing.assert_close(queue_h.queue, ref_h)
    assert queue_z.ptr.tolist() == ref_pz.tolist()
    torch.testing.assert_close(
        ccl, kl_uniform_positives(rows_z, size), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(
        cce, kl_uniform_positives(rows_h, size), atol=1e-5, rtol=1e-5)
    # CCE must see the post-batch queue: the pre-batch one gives another value
    pre = contrastive_cross_entropy_loss(h_q, w,
                                         PerClassQueue(num, size, dim_h).queue,
                                         labels, tau)
    assert not torch.allclose(pre, cce)


def test_enqueue_order_wrap_and_overflow():
    queue = PerClassQueue(2, 4, 3)
    keys = torch.arange(6 * 3, dtype=torch.float).view(6, 3)
    queue.enqueue(keys, torch.zeros(6, dtype=torch.long))
    assert queue.ptr.tolist() == [2, 0]  # (0 + 6) mod 4
    # slots written in order 0,1,2,3,0,1: the last four keys survive
    assert queue.queue[0].tolist() == keys[[4, 5, 2, 3]].tolist()
    queue.enqueue(keys[:3] + 100, torch.tensor([0, 1, 0]))
    assert queue.ptr.tolist() == [0, 1]
    assert queue.queue[0, 2].tolist() == (keys[0] + 100).tolist()
    assert queue.queue[0, 3].tolist() == (keys[2] + 100).tolist()
    assert queue.queue[1, 0].tolist() == (keys[1] + 100).tolist()


def test_initial_state_and_buffers():
    queue = PerClassQueue(3, 5, 8)
    torch.testing.assert_close(queue.queue.norm(dim=2), torch.ones(3, 5))
    assert queue.ptr.tolist() == [0, 0, 0]
    assert list(queue.parameters()) == []
    assert set(queue.state_dict()) == {'queue', 'ptr'}


@pytest.mark.parametrize('key', ['num_classes', 'queue_size', 'dim'])
def test_zero_sizes_are_refused(key):
    args = dict(num_classes=2, queue_size=3, dim=4)
    args[key] = 0
    with pytest.raises(ValueError, match=key):
        PerClassQueue(**args)


def test_loss_offset_and_gradient_of_the_own_pair():
    """KL = soft-CE - log(K+1); dL/du0 = (p0 - 1/(K+1)) / (T B)."""
    torch.manual_seed(0)
    size, tau, batch = 4, 0.5, 3
    queue = F.normalize(torch.randn(2, size, 5), dim=2)
    labels = torch.tensor([0, 1, 1])
    w = F.normalize(torch.randn(2, 5), dim=1)
    h = F.normalize(torch.randn(batch, 5), dim=1).requires_grad_()
    loss = contrastive_cross_entropy_loss(h, w, queue, labels, tau)
    u0 = (h * w[labels]).sum(1)
    logits = torch.cat([u0[:, None], w[labels] @ queue.view(-1, 5).T], 1) / tau
    target = torch.zeros_like(logits)
    target[:, 0] = 1 / (size + 1)
    for i, c in enumerate(labels.tolist()):
        target[i, 1 + c * size:1 + (c + 1) * size] = 1 / (size + 1)
    soft_ce = F.cross_entropy(logits, target)
    torch.testing.assert_close(loss, soft_ce - math.log(size + 1))
    grad_u0 = (logits.softmax(1)[:, 0] - 1 / (size + 1)) / (tau * batch)
    (grad_h, ) = torch.autograd.grad(loss, h)
    torch.testing.assert_close(grad_h, grad_u0[:, None] * w[labels])


def loop_loss(first, anchor, queue, labels, tau):
    """Per-sample rows with autograd, KL(batchmean) as TLlib."""
    size = queue.shape[1]
    rows = [
        row_of(first[i], anchor[i], queue, int(c)) / tau
        for i, c in enumerate(labels)
    ]
    return kl_uniform_positives(rows, size)


@pytest.mark.parametrize('num,size,batch,labels', CASES)
def test_gradients_match_the_loops(num, size, batch, labels):
    """Gradients of the fused loss (computed in its forward) equal autograd
    through the per-sample reference: CCL into the query (own key and the
    queue), CCE into the feature and, when not detached, the class weights."""
    torch.manual_seed(num + size + batch)
    labels = torch.tensor(labels)
    tau = 0.1
    queue = F.normalize(torch.randn(num, size, 6), dim=2)
    z_q = F.normalize(torch.randn(batch, 6), dim=1).requires_grad_()
    z_k = F.normalize(torch.randn(batch, 6), dim=1)
    ccl = categorical_contrastive_loss(z_q, z_k, queue, labels, tau)
    ref = loop_loss((z_q * z_k).sum(1), z_q, queue, labels, tau)
    torch.testing.assert_close(ccl, ref, atol=1e-5, rtol=1e-5)
    (grad, ), (ref_grad, ) = (torch.autograd.grad(v, z_q) for v in (ccl, ref))
    torch.testing.assert_close(grad, ref_grad, atol=1e-5, rtol=1e-4)

    h_q = F.normalize(torch.randn(batch, 6), dim=1).requires_grad_()
    w = torch.randn(num, 6).requires_grad_()
    w_hat = F.normalize(w, dim=1)
    cce = contrastive_cross_entropy_loss(h_q, w_hat, queue, labels, tau)
    ref = loop_loss((h_q * w_hat[labels]).sum(1), w_hat[labels], queue, labels,
                    tau)
    torch.testing.assert_close(cce, ref, atol=1e-5, rtol=1e-5)
    grads = torch.autograd.grad(cce, (h_q, w), retain_graph=True)
    ref_grads = torch.autograd.grad(ref, (h_q, w))
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)


def test_queue_may_change_between_loss_and_backward():
    """CCL is scored on the pre-batch queue and the batch enqueued before
    backward (TLlib's order) without copying the queue: the gradient is
    still the one of the pre-batch queue."""
    torch.manual_seed(0)
    queue = PerClassQueue(3, 4, 5)
    before = queue.queue.clone()
    labels = torch.tensor([0, 2, 2, 1])
    z_q = F.normalize(torch.randn(4, 5), dim=1).requires_grad_()
    z_k = F.normalize(torch.randn(4, 5), dim=1)
    loss = categorical_contrastive_loss(z_q, z_k, queue.queue, labels)
    queue.enqueue(z_k, labels)
    assert not torch.equal(queue.queue, before)
    loss.backward()
    ref = categorical_contrastive_loss(z_q, z_k, before, labels)
    (ref_grad, ) = torch.autograd.grad(ref, z_q)
    torch.testing.assert_close(z_q.grad, ref_grad)


def test_no_grad_and_single_class():
    """Without grad the value is the same and no graph is kept; C = 1 has no
    negatives: the loop's value and gradient."""
    torch.manual_seed(0)
    queue = F.normalize(torch.randn(1, 3, 4), dim=2)
    z = F.normalize(torch.randn(5, 4), dim=1).requires_grad_()
    k = F.normalize(torch.randn(5, 4), dim=1)
    labels = torch.zeros(5).long()
    with torch.no_grad():
        quiet = categorical_contrastive_loss(z, k, queue, labels, 0.1)
    assert quiet.grad_fn is None and not quiet.requires_grad
    loss = categorical_contrastive_loss(z, k, queue, labels, 0.1)
    assert torch.equal(quiet, loss.detach())
    ref = loop_loss((z * k).sum(1), z, queue, labels, 0.1)
    torch.testing.assert_close(loss, ref, atol=1e-6, rtol=1e-5)
    (grad, ), (ref_grad, ) = (torch.autograd.grad(v, z) for v in (loss, ref))
    torch.testing.assert_close(grad, ref_grad, atol=1e-6, rtol=1e-5)
