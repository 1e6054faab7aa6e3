"""nbgrader configuration for the mtlkit exercises: maps nbgrader's folders onto this repository.

Run nbgrader from the repository root (the folder of this file), e.g.::

    nbgrader generate_assignment 01_hard_sharing --force   # solutions/ -> exercises/
    nbgrader autograde 01_hard_sharing                     # autograder/submitted -> autograder/autograded
    nbgrader generate_feedback 01_hard_sharing             # -> autograder/feedback
    nbgrader export                                        # -> autograder/nbgrader_grades.csv

``python -m autograder grade ASSIGNMENT SUBMISSIONS`` wraps autograde/feedback for a batch of
downloaded notebooks with per-student isolation (see autograder/README.md).
"""

import sys
from pathlib import Path

c = get_config()  # noqa: F821 (injected by nbgrader's config loader)

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the feedback preprocessor below lives in this repository's autograder/

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "mtlkit"
# nbgrader step -> folder: masters with solutions and hidden tests, and the committed student versions.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Git-ignored working folders of the instructor.
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'autograder' / 'gradebook.db'}"
# `nbgrader export` (git-ignored; not the grader's autograder/grades.csv, whose columns differ).
c.ExportPlugin.to = str(ROOT / "autograder" / "nbgrader_grades.csv")

# How to generate and grade: `python -m autograder` reads these settings from this file too
# (autograder/settings.py: every section but CourseDirectory and ExportPlugin).
# The released notebooks are what students open in Colab: no outputs, a stable kernel name.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Autograding: a cell that runs longer than this (seconds) is interrupted and counts as failed
# (python -m autograder needs 1 to 86400; unset means nbgrader's 30).
c.Execute.timeout = 60
# A student who deletes a test cell is graded on the master's copy of it (edited ones are restored anyway).
c.OverwriteCells.add_missing_cells = True
# Feedback for students: hidden tests show their name, score and error message, never their source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.preprocessors.HiddenTestFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.HTMLExporter.sanitize_html = True
