import torch

from ganforge.nets.conditional import ConditionalGenerator
from ganforge.nets.dcgan import DCGANGenerator
from ganforge.nn.conditional_norm import ConditionalBatchNorm, embed_labels


def test_embed_labels_ids_onehots_and_mixtures():
    torch.manual_seed(0)
    table = torch.nn.Embedding(4, 3)
    ids = torch.tensor([0, 2, 3])
    onehot = torch.eye(4)[ids]
    assert torch.equal(embed_labels(table, onehot), table(ids))  # exact: a one-hot row picks the row
    mix = torch.tensor([[0.25, 0.75, 0.0, 0.0]])
    expected = 0.25 * table.weight[0] + 0.75 * table.weight[1]
    torch.testing.assert_close(embed_labels(table, mix)[0], expected)


def test_conditional_batch_norm_takes_class_weights():
    torch.manual_seed(0)
    cbn = ConditionalBatchNorm(5, num_classes=3).eval()
    with torch.no_grad():
        cbn.gamma.weight.normal_()
        cbn.beta.weight.normal_()
    x = torch.randn(2, 5, 4, 4)
    cbn.labels = torch.tensor([1, 1])
    hard = cbn(x)
    cbn.labels = torch.eye(3)[[1, 1]]
    assert torch.equal(cbn(x), hard)
    cbn.labels = torch.tensor([[0.5, 0.5, 0.0]] * 2)
    normed = cbn.norm(x)
    gamma = 0.5 * (cbn.gamma.weight[0] + cbn.gamma.weight[1])
    beta = 0.5 * (cbn.beta.weight[0] + cbn.beta.weight[1])
    torch.testing.assert_close(cbn(x), normed * gamma.view(1, 5, 1, 1) + beta.view(1, 5, 1, 1))


def test_generators_accept_class_weights_for_both_conditionings():
    torch.manual_seed(0)
    z = torch.randn(3, 8)
    ids = torch.tensor([0, 1, 2])
    for conditioning in ("concat", "cbn"):
        g = ConditionalGenerator(DCGANGenerator, (1, 28, 28), 8, 3, conditioning, width=8).eval()
        with torch.no_grad():  # CBN starts as the identity for every class; make the classes differ
            for layer in g.modules():
                if isinstance(layer, ConditionalBatchNorm):
                    layer.gamma.weight.normal_()
                    layer.beta.weight.normal_()
        hard = g(z, ids)
        assert torch.equal(g(z, torch.eye(3)[ids]), hard)
        halfway = g(z, torch.tensor([[0.5, 0.5, 0.0]] * 3))
        assert halfway.shape == hard.shape and not torch.equal(halfway, hard)
