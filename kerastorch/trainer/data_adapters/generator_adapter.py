"""Python generators and iterators: one iterator shared by all epochs, as in Keras."""

from kerastorch.trainer.data_adapters.iterable_adapter import IterableAdapter


class GeneratorAdapter(IterableAdapter):
    """Batches of a generator; with `steps`, each epoch draws that many, else until it is exhausted."""

    def __init__(self, generator, device, keep_int_x, steps=None, class_weight=None, where="x"):
        super().__init__(generator, None, device, keep_int_x, steps, class_weight, where)
