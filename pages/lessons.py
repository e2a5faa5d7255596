"""Lessons: the chapter's path, one step per screen, every figure from stored runs, ours beside the book's."""

import streamlit as st

from rnnlab.dashboard import lesson_view, presenter, state
from rnnlab.lessons import guide

present = presenter.active()
index, lesson = guide.get_lesson(st.query_params.get("lesson"))

if not present:
    lesson_view.picker(index)
st.title(f"{index + 1}. {lesson.title}")
st.markdown(lesson.text)
if not present:
    state.show_notes()

done = lesson_view.stored_runs(lesson)
lesson_view.results(lesson, done, present)
for concept in lesson.concepts:
    lesson_view.concept(concept, done, present)

if lesson.takeaway:
    st.info(lesson.takeaway, icon=":material/lightbulb:")
if not present and lesson.runs:
    lesson_view.try_it(lesson)
lesson_view.navigation(index, present)
