from consentdesk.core import ids


def test_new_ids_are_valid_and_distinct():
    issued = {ids.new_id() for _ in range(2000)}
    assert len(issued) == 2000
    assert all(ids.is_valid(i) for i in issued)


def test_typos_are_normalised_or_refused():
    good = ids.new_id()
    assert ids.normalise(good.lower().replace("-", " ")) == good
    assert ids.normalise(good[3:]) == good  # prefix left off
    body = good.replace("-", "")[2:]
    for position in range(len(body)):
        for replacement in "0A":
            if body[position] != replacement:
                typo = body[:position] + replacement + body[position + 1 :]
                assert ids.normalise(f"CD-{typo[:4]}-{typo[4:]}") is None, typo
    assert ids.normalise("hello") is None
