"""The history of generated images D is shown (Shrivastava et al. 2017; CycleGAN keeps 50).

Showing D some older fakes, not only the newest, damps the oscillation where
G and D chase each other.  :meth:`ImagePool.query` takes a batch of fakes
(B, C, H, W) and returns a batch of the same shape: while the pool holds fewer
than ``size`` images each fake is stored and returned as is; once it is full,
each fake is, with probability ``SWAP_RATE`` (1/2), swapped for a uniformly
chosen stored image (which is returned, the new fake taking its place), else
returned as is.  Draws use the global RNG and the stored images are part of
the recipe's checkpoint state, so a resumed run sees the same history.
"""

from __future__ import annotations

import torch

SWAP_RATE = 0.5


class ImagePool:
    """A buffer of up to ``size`` past fakes; ``size`` 0 turns it off (query returns its input)."""

    def __init__(self, size: int = 50) -> None:
        self.size = size
        self.images: torch.Tensor | None = None  # (n <= size, C, H, W), detached

    def __len__(self) -> int:
        return 0 if self.images is None else len(self.images)

    @torch.no_grad()
    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        """Fakes (B, C, H, W) -> (B, C, H, W): each new or a stored one (see the module docstring)."""
        if self.size == 0:
            return fakes
        fakes = fakes.detach()
        out = []
        for image in fakes:
            if len(self) < self.size:
                self.images = image[None].clone() if self.images is None else torch.cat([self.images, image[None]])
                out.append(image)
            elif float(torch.rand(())) < SWAP_RATE:
                slot = int(torch.randint(0, self.size, ()))
                out.append(self.images[slot].clone())
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {"size": self.size, "images": None if self.images is None else self.images.detach().cpu().clone()}

    def load_state_dict(self, state: dict, device: torch.device | str = "cpu") -> None:
        images = state.get("images")
        self.images = None if images is None else images.to(device)
