"""The emulator's HTTP layer: the ASGI app, request middleware, routes, paging and rendering."""
