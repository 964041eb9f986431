"""The Ray executor (``executor: {type: ray}``): samples processed on the workers of a Ray
cluster (:mod:`~sdgcore.pipeline.cluster.worker`), sent by the run's driver
(:mod:`~sdgcore.pipeline.cluster.driver`), all drawing from one rate budget and one request
cache (:mod:`~sdgcore.pipeline.cluster.shared`). Nothing here imports Ray until a run asks
for it; the default executor, ``local``, is the run's own process."""
