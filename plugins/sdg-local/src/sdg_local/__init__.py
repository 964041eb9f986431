"""sdg task ``local`` and its retrievers: grounded samples from a user's documents."""
