"""Building blocks shared by the policies: ResNet trunk, position embeddings, attention,
spatial softmax, 1-D conditional U-Net and the DDPM/DDIM noise schedulers (all torch)."""
