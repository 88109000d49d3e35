"""Small, Django-free building blocks shared by every layer: the refusal type, the progress
interface, the data-file loader and the number/unit formatter."""
