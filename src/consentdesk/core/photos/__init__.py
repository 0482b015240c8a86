"""Photos in the catalogue: importing shoots (each photo checked once) and the working copies and
thumbnails a computer keeps of photos held by a team register."""
