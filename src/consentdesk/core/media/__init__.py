"""Reading untrusted files into pixels: photos (oriented, reduced), finding them in folders, and pictures
stored with a release (signatures, reference photos). Nothing here knows about the catalogue."""
