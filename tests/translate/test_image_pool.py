"""The 50-image history pool: fill phase, swap rate, what it returns, its checkpoint state."""

import torch

from ganforge.recipes.image_pool import SWAP_RATE, ImagePool


def _batch(start, n=1):
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1)


def test_while_filling_the_pool_returns_its_input_and_stores_it():
    pool = ImagePool(4)
    out = pool.query(_batch(0, 3))
    assert torch.equal(out, _batch(0, 3)) and len(pool) == 3


def test_once_full_half_of_the_returned_images_are_stored_ones():
    torch.manual_seed(0)
    pool = ImagePool(50)
    pool.query(_batch(0, 50))
    n, stored = 4000, 0
    seen = set(range(50))
    for i in range(n):
        value = int(pool.query(_batch(1000 + i))[0, 0, 0, 0])
        if value != 1000 + i:
            assert value in seen  # a swapped-out image is one the pool held
            stored += 1
        seen.add(1000 + i)
    sd = (n * SWAP_RATE * (1 - SWAP_RATE)) ** 0.5
    assert abs(stored - n * SWAP_RATE) < 5 * sd
    assert len(pool) == 50


def test_a_swapped_in_image_is_stored():
    torch.manual_seed(1)
    pool = ImagePool(1)
    pool.query(_batch(7))
    returned = [int(pool.query(_batch(100 + i))[0, 0, 0, 0]) for i in range(20)]
    swaps = [r for r, i in zip(returned, range(20)) if r != 100 + i]
    assert swaps and swaps[0] == 7  # the first swap returns the first stored image


def test_size_zero_is_off_and_state_round_trips():
    assert torch.equal(ImagePool(0).query(_batch(0, 3)), _batch(0, 3))
    pool = ImagePool(3)
    pool.query(_batch(5, 2))
    copy = ImagePool(3)
    copy.load_state_dict(pool.state_dict())
    assert torch.equal(copy.images, pool.images)
    empty = ImagePool(3)
    empty.load_state_dict(ImagePool(3).state_dict())
    assert len(empty) == 0
