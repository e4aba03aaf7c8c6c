"""MLflow uses a modelreg registry (issue #4): a model-registry store plugin and an artifact
repository, registered through entry points by `pip install 'modelreg[mlflow]'`.

- `store.ModelregStore`: MLflow's `AbstractStore` over `modelreg.Registry`, for
  `modelreg:` registry URIs (`mlflow.set_registry_uri`, `MLFLOW_REGISTRY_URI`,
  `MlflowClient(registry_uri=...)`, `mlflow server --registry-store-uri`).
- `artifacts`: the artifact repository MLflow loads versions through (sha256 verified).

Only `compat` imports MLflow's internals, so one module follows MLflow from release to release.
Nothing here is imported by `import modelreg`: MLflow is an optional extra.
"""
