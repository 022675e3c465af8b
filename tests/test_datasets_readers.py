"""Corpus readers: pairing folders by name, lists by position, expanding inputs."""

import logging

import pytest

from gmmvc.datasets import AUDIO_EXTENSIONS, audio_files, paired_files, read_file_list
from gmmvc.exceptions import GmmvcError, ParameterError


def _touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


# --------------------------------------------------------------------------- folders


def test_folders_pair_by_stem_across_extensions_sorted(tmp_path):
    src = _touch(tmp_path / "SM1", "100002.flac", "100001.flac", "200001.flac")
    tgt = _touch(tmp_path / "TF1", "100001.wav", "200001.ogg", "100002.wav")
    pairs = paired_files(src, tgt)
    assert [(s.name, t.name) for s, t in pairs] == [
        ("100001.flac", "100001.wav"),
        ("100002.flac", "100002.wav"),
        ("200001.flac", "200001.ogg"),
    ]
    assert all(s.parent == src and t.parent == tgt for s, t in pairs)


def test_unpaired_files_are_skipped_and_named(tmp_path, caplog):
    src = _touch(tmp_path / "a", "x1.wav", "x2.wav", "only_src.wav")
    tgt = _touch(tmp_path / "b", "x1.wav", "x2.wav", "only_tgt.wav", "also_tgt.wav")
    with caplog.at_level(logging.WARNING, logger="gmmvc"):
        pairs = paired_files(src, tgt)
    assert [s.stem for s, _ in pairs] == ["x1", "x2"]
    text = caplog.text
    assert "skipping 1 file(s) with no partner" in text and "only_src" in text
    assert "skipping 2 file(s)" in text and "also_tgt, only_tgt" in text


def test_long_lists_of_unpaired_names_are_shortened(tmp_path, caplog):
    src = _touch(tmp_path / "a", "common.wav", *(f"s{i:02d}.wav" for i in range(25)))
    tgt = _touch(tmp_path / "b", "common.wav")
    with caplog.at_level(logging.WARNING, logger="gmmvc"):
        paired_files(src, tgt)
    assert "s09 and 15 more" in caplog.text


def test_pattern_selects_files_in_both_folders(tmp_path, caplog):
    src = _touch(tmp_path / "a", "100001.wav", "100002.wav", "200001.wav")
    tgt = _touch(tmp_path / "b", "100001.wav", "100002.wav", "200001.wav", "200002.wav")
    with caplog.at_level(logging.WARNING, logger="gmmvc"):
        pairs = paired_files(src, tgt, pattern="1000*")
    assert [s.stem for s, _ in pairs] == ["100001", "100002"]
    assert "skipping" not in caplog.text  # evaluation ids are not "unpaired"
    assert [s.stem for s, _ in paired_files(src, tgt, pattern="2*")] == ["200001"]


def test_non_audio_hidden_and_sub_folders_are_ignored(tmp_path):
    src = _touch(tmp_path / "a", "u1.wav", "notes.txt", ".u2.wav", "README")
    (src / "sub").mkdir()
    _touch(src / "sub", "u3.wav")
    tgt = _touch(tmp_path / "b", "u1.WAV", "u2.wav", "u3.wav")
    assert [(s.name, t.name) for s, t in paired_files(src, tgt)] == [("u1.wav", "u1.WAV")]


def test_nothing_in_common_is_an_error(tmp_path):
    src = _touch(tmp_path / "a", "x.wav")
    tgt = _touch(tmp_path / "b", "y.wav")
    with pytest.raises(GmmvcError, match=r"no file name is common to .*a \(1 audio files\)"):
        paired_files(src, tgt)
    with pytest.raises(GmmvcError, match="matching '9\\*'"):
        paired_files(src, tgt, pattern="9*")


def test_two_files_of_one_stem_are_ambiguous(tmp_path):
    src = _touch(tmp_path / "a", "x.wav", "x.flac")
    tgt = _touch(tmp_path / "b", "x.wav")
    with pytest.raises(GmmvcError, match="x.flac and x.wav have the same name"):
        paired_files(src, tgt)


def test_missing_folder(tmp_path):
    tgt = _touch(tmp_path / "b", "x.wav")
    with pytest.raises(GmmvcError, match="does not exist; expected a folder"):
        paired_files(tmp_path / "nope", tgt)


# --------------------------------------------------------------------------- lists


def test_lists_pair_by_position_relative_to_the_list(tmp_path):
    _touch(tmp_path / "wav" / "src", "b.wav", "a.wav")
    _touch(tmp_path / "wav" / "tgt", "1.flac", "2.flac")
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "src.txt").write_text("# source\n../wav/src/b.wav\n\n  ../wav/src/a.wav  \n")
    absolute = tmp_path / "wav" / "tgt" / "1.flac"
    (lists / "tgt.txt").write_text(f"{absolute}\n../wav/tgt/2.flac\n")
    pairs = paired_files(lists / "src.txt", lists / "tgt.txt")
    assert [(s.name, t.name) for s, t in pairs] == [("b.wav", "1.flac"), ("a.wav", "2.flac")]
    assert all(s.is_file() and t.is_file() for s, t in pairs)


def test_lists_of_different_lengths(tmp_path):
    _touch(tmp_path, "a.wav", "b.wav")
    (tmp_path / "s.txt").write_text("a.wav\nb.wav\n")
    (tmp_path / "t.txt").write_text("a.wav\n")
    with pytest.raises(GmmvcError, match="lists 2 files and .* lists 1; expected lists of equal"):
        paired_files(tmp_path / "s.txt", tmp_path / "t.txt")


def test_list_with_missing_files_names_them_with_line_numbers(tmp_path):
    _touch(tmp_path, "a.wav")
    (tmp_path / "s.txt").write_text("a.wav\nmissing.wav\n")
    with pytest.raises(
        GmmvcError, match=r"1 listed file\(s\) do not exist: .*missing.wav \(line 2\)"
    ):
        read_file_list(tmp_path / "s.txt")


def test_empty_and_binary_lists(tmp_path):
    (tmp_path / "empty.txt").write_text("# nothing\n\n")
    with pytest.raises(GmmvcError, match="lists no files"):
        read_file_list(tmp_path / "empty.txt")
    (tmp_path / "model.bin").write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(GmmvcError, match="neither an audio file .* nor a UTF-8 text list"):
        read_file_list(tmp_path / "model.bin")
    with pytest.raises(GmmvcError, match="is a folder, not a list file"):
        read_file_list(tmp_path)


def test_folder_and_list_cannot_be_mixed(tmp_path):
    src = _touch(tmp_path / "a", "x.wav")
    (tmp_path / "t.txt").write_text("a/x.wav\n")
    with pytest.raises(ParameterError, match=r"two folders or two text lists, got a folder"):
        paired_files(src, tmp_path / "t.txt")
    with pytest.raises(ParameterError, match="pattern: selects files in folders"):
        paired_files(tmp_path / "t.txt", tmp_path / "t.txt", pattern="x*")


# --------------------------------------------------------------------------- inputs


def test_audio_files_expands_files_folders_and_lists(tmp_path):
    folder = _touch(tmp_path / "in", "200002.wav", "200001.wav", "100001.wav")
    single = _touch(tmp_path / "other", "z.flac") / "z.flac"
    (tmp_path / "list.txt").write_text("in/100001.wav\nother/z.flac\n")
    got = audio_files([single, folder, tmp_path / "list.txt"], pattern="2*")
    assert [p.name for p in got] == ["z.flac", "200001.wav", "200002.wav", "100001.wav"]
    assert [p.name for p in audio_files(str(folder))] == ["100001.wav", "200001.wav", "200002.wav"]


def test_audio_files_errors(tmp_path):
    folder = _touch(tmp_path / "in", "a.wav")
    with pytest.raises(GmmvcError, match=r"no audio files found in .*in matching 'b\*'"):
        audio_files(folder, pattern="b*")
    with pytest.raises(GmmvcError, match="audio file does not exist"):
        audio_files(tmp_path / "missing.wav")
    with pytest.raises(GmmvcError, match="does not exist; expected a text file"):
        audio_files(tmp_path / "missing.txt")
    with pytest.raises(ParameterError, match="expected at least one file, folder or list"):
        audio_files([])


def test_audio_extensions_are_lower_case_suffixes():
    assert all(e.startswith(".") and e == e.lower() for e in AUDIO_EXTENSIONS)
    assert {".wav", ".flac"} <= set(AUDIO_EXTENSIONS)
