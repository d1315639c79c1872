"""Dataset editing tools. Each writes a NEW dataset and never modifies its source.

=====================  ==============================================================
function               what it writes
=====================  ==============================================================
``delete_episodes``    the dataset without some episodes
``split_dataset``      one dataset per split (episode lists or fractions)
``merge_datasets``     the episodes of several compatible datasets, one after the other
``add_features``       the dataset with new numeric columns (and their stats)
``remove_features``    the dataset without some features (a camera's videos included)
``recompute_stats``    the dataset with statistics computed again from its frames
``convert_v21``        a v2.1 dataset converted to v3.0
``push`` / ``pull``    a dataset uploaded to / downloaded from the Hugging Face Hub
=====================  ==============================================================

The same tools are ``lr dataset <tool>`` subcommands. Names resolve lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS = {
    "delete_episodes": "lr_dataset.tools.delete",
    "split_dataset": "lr_dataset.tools.split",
    "merge_datasets": "lr_dataset.tools.merge",
    "IncompatibleDatasetsError": "lr_dataset.tools.merge",
    "add_features": "lr_dataset.tools.features",
    "remove_features": "lr_dataset.tools.features",
    "recompute_stats": "lr_dataset.tools.recompute",
    "convert_v21": "lr_dataset.tools.convert",
    "push": "lr_dataset.tools.hub",
    "pull": "lr_dataset.tools.hub",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.tools.convert import convert_v21
    from lr_dataset.tools.delete import delete_episodes
    from lr_dataset.tools.features import add_features, remove_features
    from lr_dataset.tools.hub import pull, push
    from lr_dataset.tools.merge import IncompatibleDatasetsError, merge_datasets
    from lr_dataset.tools.recompute import recompute_stats
    from lr_dataset.tools.split import split_dataset
