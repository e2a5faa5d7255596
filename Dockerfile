# rnnlab: one container for a whole class. Build: docker build -t rnnlab .  Run: see README.md.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    RNNLAB_HOME=/data

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pinned requirements change.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

RUN groupadd --system --gid 1000 rnnlab \
    && useradd --system --uid 1000 --gid rnnlab --create-home --home-dir /home/rnnlab rnnlab \
    && mkdir -p /data \
    && chown rnnlab:rnnlab /data

# The package, and only what warming needs, so editing the app, its pages or the docs does not retrain the
# lessons. Built outside /app so that /app holds no second copy to shadow the installed one. Everything copied
# or installed stays root's: the runtime user can write only /data.
COPY pyproject.toml requirements.txt /tmp/rnnlab-src/
COPY rnnlab /tmp/rnnlab-src/rnnlab
RUN pip install --no-cache-dir /tmp/rnnlab-src \
    && rm -rf /tmp/rnnlab-src

USER 1000:1000

# Train every lesson run into the store now, so lessons are instant on the first start.
RUN python -m rnnlab warm

# The web app: the server runs app.py from the working directory.
COPY app.py ./
COPY pages ./pages
COPY .streamlit ./.streamlit

VOLUME ["/data"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"]

CMD ["python", "-m", "rnnlab.dashboard.server", "--server.port=8501", "--server.address=0.0.0.0"]
