"""Which form of an architecture an input size gets (SPEC §5): CIFAR-sized inputs (32x32, and
the 8x8 digits) the CIFAR form, larger ones (224x224 CUB / Cars) the ImageNet form."""

CIFAR_MAX_SIZE = 64


def cifar_form(image_size: int) -> bool:
    return image_size <= CIFAR_MAX_SIZE
