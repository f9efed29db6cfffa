"""The HTML output: the cluster report (report.py) built from one module per section
(overview, cluster, state, distributions, offenders, pods), each holding its data query (in
the `.sql` file beside it), figure and markup, on a shared base (scope: the pods in scope and
the SQL loader; plot: colours and plotly helpers; page: the page, its CSS/JS and markup
helpers); the one-pod page of `timeline --html` (pods.py) and the `diff --html` page
(diff_page.py) on the same base."""
