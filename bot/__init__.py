"""govqa answering side: settings, retrieval, chain, answerers, CLI and UI."""
