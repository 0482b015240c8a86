from tests.ui.conftest import window_on_copy
from tests.ui.review import test_review_screen
template = test_review_screen.template

def test_diag(template, tmp_path, qtbot):
    from consentdesk.ui.releases.register_page import RegisterPage
    path, image_id, _ = template
    with window_on_copy(path, tmp_path, qtbot) as win:
        reg = win.page(RegisterPage)
        w = win.nav
        out = []
        for _ in range(400):
            w = w.nextInFocusChain()
            if w is win.nav: break
            if w.isVisible(): out.append(f"{type(w).__name__}:{w.objectName()}:{getattr(w,'text',lambda:'')()}")
        print("\n".join(out))
