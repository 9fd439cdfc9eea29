"""What the controllers' specs share for their examples: a validation loss that improves, stalls, wobbles and stalls
again, over 30 epochs; the docs plot each controller's rates on it."""

PLATEAUS = (
    *(1.0, 0.8, 0.7, 0.65, 0.64, 0.64, 0.63, 0.64, 0.64, 0.64),
    *(0.5, 0.45, 0.45, 0.46, 0.45, 0.45, 0.45, 0.45, 0.4, 0.4),
    *(0.41, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4),
)
