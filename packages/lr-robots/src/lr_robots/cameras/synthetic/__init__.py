"""The ``synthetic`` camera: a moving test pattern at a true frame rate, with a readable stamp."""
