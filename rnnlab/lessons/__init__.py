"""The guided path through the chapter (:mod:`~rnnlab.lessons.guide`) and the beat-the-book results its last
step shows (:mod:`~rnnlab.lessons.beatbook`)."""
