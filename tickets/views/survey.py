"""The one-click satisfaction survey behind a signed, expiring link: no login needed.

GET shows the question (so a mail scanner that follows links records nothing); one POST
with a score from 1 to 5 and an optional comment records the ticket's only answer.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tickets.services import (
    SURVEY_SCORES,
    SurveyLinkRefused,
    survey_link_answer_record,
    survey_ticket_for_link,
)

SCORE_LABELS = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neither",
    4: "Satisfied",
    5: "Very satisfied",
}
# A friendly page per reason, with a status code that says the same to machines.
REFUSED_STATUS = {
    "invalid": 400,
    "expired": 410,
    "unknown": 410,
    "unresolved": 409,
    "answered": 409,
}


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(choices=[(s, str(s)) for s in SURVEY_SCORES], coerce=int)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


def _refused(request: HttpRequest, refused: SurveyLinkRefused) -> HttpResponse:
    return render(
        request,
        "tickets/survey_refused.html",
        {"reason": refused.reason, "ticket": refused.ticket},
        status=REFUSED_STATUS[refused.reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = survey_ticket_for_link(token)
    except SurveyLinkRefused as refused:
        return _refused(request, refused)
    form = SurveyForm()
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                answer = survey_link_answer_record(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except SurveyLinkRefused as refused:
                return _refused(request, refused)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                return render(
                    request,
                    "tickets/survey_thanks.html",
                    {"ticket": ticket, "answer": answer, "label": SCORE_LABELS[answer.score]},
                )
    return render(
        request,
        "tickets/survey.html",
        {"ticket": ticket, "form": form, "scores": list(SCORE_LABELS.items())},
        status=400 if form.errors else 200,
    )


urlpatterns = [path("survey/<str:token>/", survey, name="survey")]
