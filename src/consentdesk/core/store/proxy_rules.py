"""The server's rules for clips' proxies (migration 11 on both engines); see `clip_copies` for why."""

from __future__ import annotations

#: The reason erasure gives when it blocks a photo or clip (maintenance.ERASED_IMAGE_REASON, in SQL).
_ERASED = "a person shown was erased from the register; review again before any use"

SQLITE_11 = f"""
CREATE TABLE clip_proxies (
    sha256 TEXT PRIMARY KEY,
    proxy_sha256 TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BLOB NOT NULL,
    stored_at TEXT NOT NULL,
    stored_by TEXT NOT NULL
);
CREATE TRIGGER clip_proxies_immutable BEFORE UPDATE ON clip_proxies
BEGIN SELECT RAISE(ABORT, 'stored clips are never changed'); END;
CREATE TRIGGER clip_proxies_gone_with_erasure AFTER INSERT ON image_reviews WHEN NEW.reason = '{_ERASED}'
BEGIN DELETE FROM clip_proxies WHERE sha256 IN (SELECT sha256 FROM images WHERE id = NEW.image_id); END;
"""

POSTGRESQL_11 = rf"""
CREATE TABLE clip_proxies (
    sha256 text PRIMARY KEY,
    proxy_sha256 text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    data bytea NOT NULL,
    stored_at text NOT NULL,
    stored_by text NOT NULL DEFAULT session_user
);
-- Video is already compressed: storing it as it is saves the server the work.
ALTER TABLE clip_proxies ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TRIGGER clip_proxies_actor BEFORE INSERT ON clip_proxies
    FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('stored_by');
CREATE TRIGGER clip_proxies_immutable BEFORE UPDATE ON clip_proxies
    FOR EACH ROW EXECUTE FUNCTION cd_refuse('stored clips are never changed');
CREATE FUNCTION cd_drop_erased_clip_proxies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reason = '{_ERASED}' THEN
        DELETE FROM clip_proxies p WHERE p.sha256 IN (SELECT i.sha256 FROM images i WHERE i.id = NEW.image_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER clip_proxies_gone_with_erasure AFTER INSERT ON image_reviews
    FOR EACH ROW EXECUTE FUNCTION cd_drop_erased_clip_proxies();
CREATE FUNCTION cd_store_clip_proxy(sha256 text, data bytea, width integer, height integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    image bigint;
    clip_w integer;
    clip_h integer;
    digest text;
BEGIN
    PERFORM cd_require('photographer', 'reviewer', 'dpo');
    SELECT i.id, i.width, i.height INTO image, clip_w, clip_h FROM images i WHERE i.sha256 = cd_store_clip_proxy.sha256;
    IF NOT FOUND OR NOT cd_sees_image(image) THEN
        PERFORM cd_fail('there is no clip with that SHA-256 among the clips you can see');
    END IF;
    IF NOT EXISTS (SELECT FROM clip_analyses c WHERE c.analysis_id = cd_current_analysis(image)) THEN
        PERFORM cd_fail('a proxy is kept for a clip only, and image ' || image || ' is a photo');
    END IF;
    IF EXISTS (SELECT FROM image_reviews r WHERE r.image_id = image AND r.reason = '{_ERASED}') THEN
        PERFORM cd_fail('clip ' || image || ' showed a person who was erased: the register keeps no copy of it');
    END IF;
    IF data IS NULL OR octet_length(data) < 12 OR substring(data FROM 5 FOR 4) <> '\x66747970'::bytea THEN
        PERFORM cd_fail('a clip''s proxy is an MP4 file');
    END IF;
    IF width IS NULL OR height IS NULL OR width < 2 OR height < 2 OR greatest(width, height) > 1280
       OR abs(width::float8 * clip_h - height::float8 * clip_w) > 0.03 * clip_w * height THEN
        PERFORM cd_fail('a clip''s proxy is the clip''s shape, at most 1280 pixels on its long side');
    END IF;
    IF EXISTS (SELECT FROM clip_proxies p WHERE p.sha256 = cd_store_clip_proxy.sha256) THEN
        RETURN false;  -- one proxy per clip, never replaced
    END IF;
    digest := encode(pg_catalog.sha256(data), 'hex');
    INSERT INTO clip_proxies(sha256, proxy_sha256, width, height, data, stored_at, stored_by)
        VALUES (sha256, digest, width, height, data, cd_now(), session_user);
    PERFORM cd_audit('clip.proxy_stored', 'image:' || image, jsonb_build_object(
        'proxy_sha256', digest, 'width', width, 'height', height, 'bytes', octet_length(data)));
    RETURN true;
END $$;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace
               AND p.proname IN ('cd_store_clip_proxy', 'cd_drop_erased_clip_proxies') LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, current_schema());
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END $$;
"""

#: Who may call it (merged into server_rules.GRANTS).
GRANTS = {
    role: ("cd_store_clip_proxy(text, bytea, integer, integer)",) for role in ("photographer", "reviewer", "dpo")
}
