"""sdg rewriter ``difficulty``: moves samples into the learnable band."""
