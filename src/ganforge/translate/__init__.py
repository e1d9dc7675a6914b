"""Image-to-image translation with a trained pix2pix / CycleGAN run: ``ganforge translate`` and ``model.translate``."""

from ganforge.translate.model import TranslatorModel, load_translator

__all__ = ["TranslatorModel", "load_translator"]
