"""The lab's download server: a real HTTP server on loopback that hosts reach with win_get_url."""
