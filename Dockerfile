# The production image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Debian's Chromium prints review packs as PDF (pages and the monthly e-mail).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV CHROMIUM_PATH=/usr/bin/chromium

RUN groupadd --system app && useradd --system --gid app --home /app app
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY common ./common
COPY vendors ./vendors
COPY tickets ./tickets
COPY scorecards ./scorecards
RUN pip install -c constraints.txt .

COPY manage.py ./
COPY templates ./templates
COPY static ./static
# collectstatic needs settings to load; these values exist only for this build step.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R app:app /app/media

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
