"""A visitor's adapted models: each saved under a dated name, and the older ones removed unless a page uses them."""
from __future__ import annotations

from signlstm.web import adapted


def test_a_visitors_older_adapted_models_are_removed_unless_a_page_uses_them(trained_model, clip_keypoints,
                                                                            tmp_path):
    """Each adaptation saves a model: past the newest ``KEEP_ADAPTED`` of a visitor, the older ones go, except one a
    page still uses; other visitors' models (a name that begins alike too) and other folders stay."""
    import shutil

    from signlstm.datasets.sequence_writer import SequenceWriter

    models = tmp_path / "web_models"
    older = [models / f"v-20000101-00000{i}" for i in range(4)]  # long before this run
    others = [models / "v-2-20000101-000000", models / "vv-20000101-000000", models / "v-notes"]
    for folder in older + others:
        shutil.copytree(trained_model.path, folder)
    assert adapted.adapted_models(models, "v") == older
    writer = SequenceWriter(tmp_path / "web_data" / "v")
    for action in ("iloveyou", "thanks"):
        for k in range(3):
            writer.write(action, clip_keypoints[action][k:k + 30])
    bundle, _ = adapted.adapt_job(trained_model, tmp_path / "web_data" / "v", models, "v", {},
                                  in_use=lambda: {older[0].resolve()})
    kept = adapted.adapted_models(models, "v")
    assert kept == [older[0], *older[-adapted.KEEP_ADAPTED + 1:], bundle.path], kept  # older[1] went
    assert all(p.is_dir() for p in others) and not any(p.name.startswith(".") for p in models.iterdir())
