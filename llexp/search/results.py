"""`optimization_results.yaml`: what a search leaves in its sweep folder for people and for
`llexp review`: the study, how many trials ended in each state, and the best trial.

Read back without Optuna (the review never imports it).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

RESULTS = "optimization_results.yaml"


def write_results(study, path: Path) -> dict:
    """Writes the study's summary to `path` (the whole study: earlier commands' trials too)."""
    trials = study.get_trials(deepcopy=False)
    states = {}
    for trial in trials:
        states[trial.state.name.lower()] = states.get(trial.state.name.lower(), 0) + 1
    summary = {
        "name": "optuna",
        "study_name": study.study_name,
        "direction": study.direction.name.lower(),
        "trials": states,
    }
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if complete:
        best = study.best_trial
        summary |= {
            "best_trial": best.number,
            "best_value": best.value,
            "best_params": best.params,
            "best_folder": best.user_attrs.get("run_folder"),
        }
    OmegaConf.save(OmegaConf.create(summary), path)
    return summary


def describe(path: Path) -> str:
    """One line for `llexp review` from a sweep folder's optimization_results.yaml."""
    results = OmegaConf.to_container(OmegaConf.load(path))
    states = results.get("trials") or {}
    counts = ", ".join(f"{n} {state}" for state, n in states.items())
    line = f"study {results.get('study_name')}: {sum(states.values())} trials ({counts})"
    if "best_value" not in results:
        return f"{line}; no trial completed"
    params = ", ".join(f"{k}={v}" for k, v in (results.get("best_params") or {}).items())
    where = f", {results['best_folder']}" if results.get("best_folder") else ""
    return (
        f"{line}; best value {results['best_value']:.4g} ({results.get('direction')}) "
        f"in trial {results['best_trial']}{where}: {params}"
    )


def find_results(paths: list[Path]) -> list[Path]:
    """The optimization_results.yaml files in or under the reviewed folders."""
    found = []
    for root in paths:
        if (root / RESULTS).is_file():
            found.append(root / RESULTS)
        elif root.is_dir():
            found += sorted(root.glob(f"*/{RESULTS}"))
    return found
