"""sdg-report: ``sdg report RUN_DIR`` writes a self-contained ``report.html`` of a run, and
``sdg view RUN_DIR`` serves a read-only page to browse its samples and their lineage.

Both read a run directory as the run writes it (:mod:`sdg_report.rundir`), so they work on a
run still in progress; ``sdg run`` writes the report when it ends (``sdg_run_finished``).
"""
