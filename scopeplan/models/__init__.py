"""What a call means: one module per library, recognising resolved values, with their cases beside them."""
