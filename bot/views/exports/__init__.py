"""Files and pictures made from the 台账 and the scores (SPEC section 7).

* ``ledger``: the 台账 / 专项台账 as .xlsx, filtered by section, unit, status and month;
* ``word``: each slip as a .docx in the official layout, from ``messages/docx/slip_template.docx``;
* ``workbooks``: the monthly 通报 and the annual ranking as .xlsx with a native bar chart;
* ``charts``: PNG pictures (the 红/黄/绿 board, the 通报's bar chart) with a CJK font.

Nothing here writes to the database; every export starts from the person asking and their scope.
"""
