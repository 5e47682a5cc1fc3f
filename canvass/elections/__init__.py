"""Elections canvass can load: the built-in Iowa 2020 caucuses, or one described by a file."""
