"""The PTCE collective: its actor inventory being edited, its project rules, its profile, and when to save them.

The pages and the command line share these modules, so a rule lives in one place:

``editing``   the inventory being worked on: every row as editable text, validated again after an edit,
              rebuilt from the actors a project holds
``profile``   the PTCE profile vocabulary (kinds, action logics, stages…) and how a field changes
``projects``  the projects folder, creating and importing a project, findings and candidate territories
``sync``      what an autosave may copy into a project, and the guard that keeps its actors from being wiped
"""

__all__: list[str] = []
