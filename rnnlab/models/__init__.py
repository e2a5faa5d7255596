"""The models: the registry that describes each one once (:mod:`~rnnlab.models.registry`), the custom cell
(:mod:`~rnnlab.models.cells`), each layer's parameter formula (:mod:`~rnnlab.models.anatomy`) and the
standalone script a run can be exported as (:mod:`~rnnlab.models.export`)."""
