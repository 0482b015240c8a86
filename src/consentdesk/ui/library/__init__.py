"""The Library page: photos as thumbnails, importing shoots, and one photo's preview."""
