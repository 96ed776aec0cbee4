"""Hyperparameter search with Optuna: the sweeper's loop (`sweeper`), the search space read from
Hydra's override syntax (`space`), the study's storage, sampler and pruner (`study`), and the
Keras callback through which a job reports its epochs and is pruned (`pruning`).

`hydra/sweeper=optuna` (hydra_plugins/llexp_optuna_sweeper) runs the loop in the sweep's
process; each job finds its own trial in the study's storage (`study.job_trial`), so pruning
works whichever launcher runs the jobs: in process, joblib's processes or submitit's machines.
"""
