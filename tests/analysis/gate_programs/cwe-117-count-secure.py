import logging

logger = logging.getLogger(__name__)


def process_batch(items):
    logger.info("processing %d items", len(items))
    return [item * 2 for item in items]
