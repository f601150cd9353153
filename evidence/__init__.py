"""Evidence: hashing, the object store adapter and (later) chains, manifests, bundles."""
