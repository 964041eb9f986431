"""sdg task ``web``: samples made from public Hugging Face datasets."""
